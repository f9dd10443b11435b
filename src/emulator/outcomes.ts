// Recorded answers: outcome files in the RouterBench CSV layout (`prompt`, `<model>|model_response`,
// …) loaded once at start-up, so that a request whose prompt was recorded is answered with what a
// real model said to it. Only the responses of mapped models are kept; labels and costs are never
// read here, so nothing of them can reach a caller.
//
// Matching key: the text of the request's last user message with whitespace runs collapsed to one
// space and the ends trimmed. Recorded prompts (Python list literals in RouterBench) are decoded
// first and normalised the same way. The system prompt and earlier turns do not take part, so a
// client may wrap a recorded question in its own instructions and still get the recorded answer.
import { readFileSync } from 'node:fs';
import { CsvError, parseCsvObjects } from '../routing/learned/csv.js';
import { decodePythonStringList } from '../routing/learned/pyrepr.js';

export interface OutcomeOptions {
  /** Outcome CSV files (RouterBench layout). */
  files: readonly string[];
  /** Model the emulator is asked for → recorded model whose answers it gives. */
  models: Readonly<Record<string, string>>;
}

const RESPONSE_SUFFIX = '|model_response';

export function normalizePrompt(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export class RecordedAnswers {
  /** Normalised prompt → response per recorded model (index into `recorded`). */
  private readonly byPrompt = new Map<string, (string | undefined)[]>();
  private readonly recorded: string[];
  /** Asked-for model → index into `recorded`. */
  private readonly column = new Map<string, number>();

  constructor(opts: OutcomeOptions, read: (file: string) => string = readOutcomeFile) {
    this.recorded = [...new Set(Object.values(opts.models))];
    for (const [asked, rec] of Object.entries(opts.models)) this.column.set(asked, this.recorded.indexOf(rec));
    const seen = new Set<string>();
    for (const file of opts.files) {
      const { header, rows } = parseCsvObjects(read(file));
      const promptCol = header.indexOf('prompt');
      if (promptCol < 0) throw new CsvError(`${file}: no "prompt" column`);
      const cols = this.recorded.map((m) => header.indexOf(m + RESPONSE_SUFFIX));
      cols.forEach((c, i) => {
        if (c >= 0) seen.add(this.recorded[i]!);
      });
      for (const r of rows) {
        const key = normalizePrompt(decodePythonStringList(r[promptCol] ?? ''));
        if (key === '') continue;
        const answers = this.byPrompt.get(key) ?? [];
        cols.forEach((c, i) => {
          const cell = c >= 0 ? r[c] : undefined;
          // The first recording of a prompt wins; an empty cell is no recording.
          if (answers[i] === undefined && cell !== undefined && cell.trim() !== '') answers[i] = decodePythonStringList(cell);
        });
        this.byPrompt.set(key, answers);
      }
    }
    const missing = this.recorded.filter((m) => !seen.has(m));
    if (missing.length)
      throw new CsvError(`outcomes: no "<model>${RESPONSE_SUFFIX}" column for ${missing.map((m) => `"${m}"`).join(', ')} in ${opts.files.join(', ')}`);
  }

  get prompts(): number {
    return this.byPrompt.size;
  }

  /** The recorded answer, of the model mapped from `model`, to a last user message; undefined when none. */
  answer(model: string, lastUserText: string): string | undefined {
    const col = this.column.get(model);
    if (col === undefined || lastUserText === '') return undefined;
    return this.byPrompt.get(normalizePrompt(lastUserText))?.[col];
  }
}

function readOutcomeFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CsvError(`outcomes: cannot read ${file}: ${(err as Error).message}`);
  }
}
