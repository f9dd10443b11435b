// Default vector widths of embedding models costwise knows; any other model needs `dimensions`.
export const KNOWN_EMBEDDING_DIMS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'gemini-embedding-001': 3072,
  'text-embedding-004': 768,
};
