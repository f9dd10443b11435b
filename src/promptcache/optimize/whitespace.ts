// Whitespace runs in prose, outside code. Code fences (``` or ~~~), <pre> blocks and inline code
// spans are kept byte for byte, and so is leading indentation (lists, indented code) and any run
// containing a tab (tables, TSV). Outside them: spaces trailing a line are dropped, a run of
// spaces between words becomes one, and more than one blank line becomes one.

const PROTECTED = /(```[\s\S]*?(?:```|$(?![\s\S]))|~~~[\s\S]*?(?:~~~|$(?![\s\S]))|<pre[\s>][\s\S]*?(?:<\/pre>|$(?![\s\S]))|`[^`\n]+`)/i;

export function collapseWhitespace(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  const pieces = text.split(PROTECTED_SPLIT);
  let out = '';
  // split with a capturing group alternates prose (even) and protected code (odd).
  for (let i = 0; i < pieces.length; i++) out += i % 2 === 0 ? collapseProse(pieces[i]!) : pieces[i]!;
  return out;
}

const PROTECTED_SPLIT = new RegExp(PROTECTED.source, 'gi');
const NEEDS_WORK = / {2}| \n|\n\s*\n\s*\n/;

function collapseProse(prose: string): string {
  return prose
    .replace(/ +(?=\n)/g, '')
    .replace(/(\S) {2,}(?=\S)/g, '$1 ')
    .replace(/\n{3,}/g, '\n\n');
}
