// Warning texts for what an Anthropic upstream cannot be sent. One wording, deduplicated.

export function addWarning(warnings: string[], message: string): void {
  if (!warnings.includes(message)) warnings.push(message);
}

export function notSent(field: string): string {
  return `"${field}" is not supported by anthropic and was not sent`;
}
