// Routes of the batch endpoints, for ./../server.ts: OpenAI Files + Batches and Anthropic Message
// Batches. Returns null for any other method + path.
import type { Exchange } from '../exchange.js';
import {
  handleMessageBatchCancel,
  handleMessageBatchCreate,
  handleMessageBatchDelete,
  handleMessageBatchList,
  handleMessageBatchResults,
  handleMessageBatchRetrieve,
} from './anthropic-routes.js';
import { handleFileContent, handleFileDelete, handleFileList, handleFileRetrieve, handleFileUpload } from './openai-files.js';
import { handleBatchCancel, handleBatchCreate, handleBatchList, handleBatchRetrieve } from './openai-routes.js';

/** The shape of a route in ../server.ts. */
export interface BatchRoute {
  provider: 'openai' | 'anthropic';
  /** Needs a JSON body. */
  body: boolean;
  run(ex: Exchange, body: unknown): Promise<void> | void;
}

type Run = BatchRoute['run'];

const openai = (body: boolean, run: Run): BatchRoute => ({ provider: 'openai', body, run });
const anthropic = (body: boolean, run: Run): BatchRoute => ({ provider: 'anthropic', body, run });

const FILE = /^\/v1\/files\/([^/]+)(\/content)?$/;
const BATCH = /^\/v1\/batches\/([^/]+)(\/cancel)?$/;
const MESSAGE_BATCH = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function batchRoute(method: string, path: string, query: string): BatchRoute | null {
  switch (path) {
    case '/v1/files':
      if (method === 'POST') return openai(false, handleFileUpload); // multipart: the handler reads it
      return method === 'GET' ? openai(false, (ex) => handleFileList(ex, query)) : null;
    case '/v1/batches':
      if (method === 'POST') return openai(true, handleBatchCreate);
      return method === 'GET' ? openai(false, (ex) => handleBatchList(ex, query)) : null;
    case '/v1/messages/batches':
      if (method === 'POST') return anthropic(true, handleMessageBatchCreate);
      return method === 'GET' ? anthropic(false, (ex) => handleMessageBatchList(ex, query)) : null;
  }
  let m = FILE.exec(path);
  if (m) {
    const id = decode(m[1]!);
    if (m[2]) return method === 'GET' ? openai(false, (ex) => handleFileContent(ex, id)) : null;
    if (method === 'GET') return openai(false, (ex) => handleFileRetrieve(ex, id));
    return method === 'DELETE' ? openai(false, (ex) => handleFileDelete(ex, id)) : null;
  }
  m = BATCH.exec(path);
  if (m) {
    const id = decode(m[1]!);
    if (m[2]) return method === 'POST' ? openai(false, (ex) => handleBatchCancel(ex, id)) : null;
    return method === 'GET' ? openai(false, (ex) => handleBatchRetrieve(ex, id)) : null;
  }
  m = MESSAGE_BATCH.exec(path);
  if (m) {
    const id = decode(m[1]!);
    if (m[2] === '/cancel') return method === 'POST' ? anthropic(false, (ex) => handleMessageBatchCancel(ex, id)) : null;
    if (m[2] === '/results') return method === 'GET' ? anthropic(false, (ex) => handleMessageBatchResults(ex, id)) : null;
    if (method === 'GET') return anthropic(false, (ex) => handleMessageBatchRetrieve(ex, id));
    return method === 'DELETE' ? anthropic(false, (ex) => handleMessageBatchDelete(ex, id)) : null;
  }
  return null;
}
