// The HTTP side of the bench's reference proxies (bare-proxy.ts, floor-proxy.ts): a server on
// 127.0.0.1 that prints its URL once it listens, the way bench/process.ts finds it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export function serveProxy(name: string, port: number, forward: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
  const server = createServer((req, res) => void forward(req, res));
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${name} on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}\n`);
  });
  return server;
}
