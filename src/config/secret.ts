// `${VAR}` references in the config, resolved against the environment.

export const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** `${VAR}` → the variable's value (undefined when unset). */
export function resolveSecret(value: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (value === undefined) return undefined;
  const m = ENV_REF.exec(value);
  return m ? env[m[1]!] : value;
}
