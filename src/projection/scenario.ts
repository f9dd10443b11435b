// A scenario after validation and resolution against the catalog: what the engine consumes.
import type { Deployment } from '../config/catalog.js';
import type { Tier } from '../routing/policy/tiers.js';
import type { Popularity } from './popularity.js';

/** Every technique assumption of one request type, defaults merged with the type's overrides. */
export interface Assumptions {
  /** Share of input tokens removed by prompt optimisation. */
  promptOptimization: number;
  exactHitRate: number;
  semanticHitRate: number;
  /** Share of input tokens that is a shared, cacheable prefix. */
  prefixShare: number;
  /** Share of (non-response-cached) requests that read the prefix from the provider's cache. */
  reuseRate: number;
  ttl: '5m' | '1h';
  batchableShare: number;
  /** When set, the exact hit rate is derived each month from the request rate (then exactHitRate is unused). */
  exactPopularity: (Popularity & { ttlSeconds: number }) | null;
  /** When set, the prefix reuse rate is derived each month from the upstream request rate. */
  prefixPopularity: Popularity | null;
}

/** The response cache's default TTL (config `cache.ttlSeconds`). */
export const RESPONSE_CACHE_TTL_SECONDS = 3600;

export type Serve = { kind: 'tier'; tier: Tier } | { kind: 'model'; model: Deployment };

export interface RequestType {
  name: string;
  share: number;
  inputTokens: number;
  outputTokens: number;
  serve: Serve;
  naive: Deployment;
  tools: boolean;
  images: boolean;
  assumptions: Assumptions;
}

export type VolumeSpec = { kind: 'growth'; launch: number; growth: number | number[] } | { kind: 'monthly'; monthly: number[] };

export interface Scenario {
  name: string;
  description: string;
  /** Requests per month at scale 1, unrounded (rounded per month and scale by the engine). */
  monthlyVolume: number[];
  /** How the volume was stated, for the assumptions table. */
  volumeNote: string;
  /** The volume as written (the spreadsheet export rebuilds monthlyVolume from it with formulas). */
  volumeSpec: VolumeSpec;
  types: RequestType[];
  /** The models routing may choose from. */
  available: Deployment[];
  reuseGrowsWithVolume: boolean;
  scaleFactors: number[];
  /** Where the catalog and prices came from: a config file, or '' for the embedded default. */
  catalogSource: string;
}

export const DEFAULT_SCALE_FACTORS: readonly number[] = [1, 3, 10];

export const NO_ASSUMPTIONS: Readonly<Assumptions> = Object.freeze({
  promptOptimization: 0,
  exactHitRate: 0,
  semanticHitRate: 0,
  prefixShare: 0,
  reuseRate: 0,
  ttl: '5m',
  batchableShare: 0,
  exactPopularity: null,
  prefixPopularity: null,
});
