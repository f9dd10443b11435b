// Bedrock Converse / ConverseStream wire format (the gateway's upstream side and the emulator's).
export { toConverseBody } from './request.js';
export { parseConverseResponse } from './response.js';
export { converseEventsToCanonical } from './stream.js';
export { decodeEventStream, encodeEvent, encodeException, EVENT_STREAM_TYPE } from './event-stream.js';
export { parseBedrockError } from './errors.js';
export { mapConverseUsage } from './usage.js';
export { invokeChunksToSse } from './invoke-stream.js';
