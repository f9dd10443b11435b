// Named routers resolved against the catalog once at start-up: a learned router's model file
// loaded and its outcome-data names mapped onto catalog models; a cascade's steps and judge
// models looked up. Every problem is reported with its config path.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { packageFile } from '../../core/package-file.js';
import type { Catalog, Deployment } from '../../config/catalog.js';
import { loadRouterModel, type LearnedRouter } from '../learned/model.js';
import type { CascadeCheck } from '../cascade/checks.js';
import type { NamedRouterConfig } from '../../config/router-schema.js';

export interface CompiledLearnedRouter {
  kind: 'learned';
  name: string;
  router: LearnedRouter;
  quality: number;
  /** Catalog model per model-file candidate (same index); undefined for unmapped candidates. */
  targets: ReadonlyArray<Deployment | undefined>;
  /** The priciest mapped model: what the request would cost without the router (the baseline). */
  strongest: Deployment;
  /** Where out-of-domain prompts go; undefined = the model decides anyway. */
  fallback: Deployment | undefined;
}

export interface CompiledCascadeRouter {
  kind: 'cascade';
  name: string;
  steps: readonly Deployment[];
  checks: readonly CascadeCheck[];
  /** The model each judge or consistency check calls. */
  judges: ReadonlyMap<CascadeCheck, Deployment>;
}

export type CompiledRouter = CompiledLearnedRouter | CompiledCascadeRouter;

/** Compiles every named router; the problems (with paths) when any cannot be. */
export function compileRouters(
  routers: Readonly<Record<string, NamedRouterConfig>>,
  catalog: Catalog,
  baseDir = process.cwd(),
): { routers: Map<string, CompiledRouter>; problems: string[] } {
  const out = new Map<string, CompiledRouter>();
  const problems: string[] = [];
  for (const [name, r] of Object.entries(routers)) {
    const base = `routing.routers.${name}`;
    const chat = (model: string, path: string): Deployment | undefined => {
      const d = catalog.get(model);
      if (!d || d.kind !== 'chat') problems.push(`${path}: unknown chat model "${model}"`);
      return d?.kind === 'chat' ? d : undefined;
    };
    if (r.kind === 'cascade') {
      const steps = r.steps.map((m, i) => chat(m, `${base}.steps[${i}]`));
      const judges = new Map<CascadeCheck, Deployment>();
      r.checks.forEach((c, i) => {
        if (c.kind !== 'judge' && c.kind !== 'consistency') return;
        const d = chat(c.model, `${base}.checks[${i}].model`);
        if (d) judges.set(c, d);
      });
      if (steps.every((d): d is Deployment => d !== undefined)) out.set(name, { kind: 'cascade', name, steps, checks: r.checks, judges });
      continue;
    }
    const file = r.model === 'default' ? defaultRouterModelPath() : isAbsolute(r.model) ? r.model : resolve(baseDir, r.model);
    let router: LearnedRouter;
    try {
      router = loadRouterModelCached(file);
    } catch (err) {
      problems.push(`${base}.model: cannot load router model ${file}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const names = router.candidateNames;
    for (const from of Object.keys(r.candidates)) {
      if (!names.includes(from)) problems.push(`${base}.candidates.${from}: not a candidate of ${file} (it has: ${names.map((n) => `"${n}"`).join(', ')})`);
    }
    const targets = names.map((n) => (r.candidates[n] !== undefined ? chat(r.candidates[n], `${base}.candidates.${n}`) : undefined));
    const mapped = targets.filter((d): d is Deployment => d !== undefined);
    if (mapped.length === 0) {
      problems.push(`${base}.candidates: map at least one of ${names.map((n) => `"${n}"`).join(', ')} onto a catalog model`);
      continue;
    }
    const strongest = mapped.reduce((a, b) => (b.pricing.base.output + b.pricing.base.input > a.pricing.base.output + a.pricing.base.input ? b : a));
    const fallback = r.fallback === 'none' ? undefined : r.fallback === 'strong' ? strongest : chat(r.fallback.model, `${base}.fallback.model`);
    if (typeof r.fallback === 'object' && !fallback) continue;
    out.set(name, { kind: 'learned', name, router, quality: r.quality ?? router.model.defaultQuality, targets, strongest, fallback });
  }
  return { routers: out, problems };
}

/** models/router-default.json of this package. */
export function defaultRouterModelPath(): string {
  return packageFile('models', 'router-default.json');
}

const loaded = new Map<string, { mtimeMs: number; router: LearnedRouter }>();

/** The config loader and the gateway both compile; a model file is parsed once. */
function loadRouterModelCached(file: string): LearnedRouter {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = loaded.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.router;
  const router = loadRouterModel(file);
  loaded.set(file, { mtimeMs, router });
  return router;
}
