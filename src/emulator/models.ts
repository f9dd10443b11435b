// Which model ids the emulator serves, and the model lists it returns.

const KNOWN = /^(gpt-|o1|o3|o4|text-embedding-|claude-|gemini-|chatgpt-)/;

export function isKnownModel(model: string): boolean {
  return KNOWN.test(model);
}

const OPENAI_MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'gpt-5',
  'gpt-5-mini',
  'gpt-5-nano',
  'o3',
  'o4-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
];
const ANTHROPIC_MODELS = ['claude-opus-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-sonnet-4-0', 'claude-3-5-haiku-latest'];
const GEMINI_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-embedding-001'];
const CREATED = 1_700_000_000;

export function openaiModel(id: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED, owned_by: id.startsWith('claude-') ? 'anthropic' : id.startsWith('gemini-') ? 'google' : 'openai' };
}

export function openaiModelList(): Record<string, unknown> {
  return { object: 'list', data: OPENAI_MODELS.map(openaiModel) };
}

export function anthropicModel(id: string): Record<string, unknown> {
  const display = id.replace(/^claude-/, 'Claude ').replace(/-/g, ' ');
  return { type: 'model', id, display_name: display, created_at: new Date(CREATED * 1000).toISOString().replace('.000Z', 'Z') };
}

export function anthropicModelList(): Record<string, unknown> {
  const data = ANTHROPIC_MODELS.map(anthropicModel);
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

export function geminiModelList(): Record<string, unknown> {
  return {
    models: GEMINI_MODELS.map((id) => ({
      name: `models/${id}`,
      displayName: id,
      supportedGenerationMethods: id.includes('embedding') ? ['embedContent'] : ['generateContent', 'countTokens'],
    })),
  };
}
