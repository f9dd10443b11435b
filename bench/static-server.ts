// "Serving nothing": reads the request and answers a fixed chat completion without any work, the
// floor that a response-cache hit is measured against in `npm run bench`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const PAYLOAD = JSON.stringify({
  id: 'chatcmpl-static',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-4.1-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'The bulky waste collection in your district is on the first Monday of each month.' },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 30, completion_tokens: 18, total_tokens: 48 },
});

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  for await (const _ of req) {
    /* read the body, as any server must */
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(PAYLOAD) });
  res.end(PAYLOAD);
}

const server = createServer((req, res) => void answer(req, res));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`static server on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
