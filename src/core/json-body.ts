// A request body as JSON, or the 400 that says why it is not.
import { invalidRequest } from './errors.js';

export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw invalidRequest('Request body is empty; expected a JSON object.', null, 'invalid_json');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw invalidRequest(`Request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
}
