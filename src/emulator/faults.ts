// Fault injection: by request header (`x-emulator-fault: 429|500|503|529|slow|cut`, with
// `x-emulator-slow-ms`) or at random with the configured rates, drawn from the seeded PRNG.
import { EmuError } from './errors.js';

export type StatusFault = 429 | 500 | 503 | 529;

export type Fault = { kind: 'status'; status: StatusFault } | { kind: 'slow'; ms: number } | { kind: 'cut' };

export interface FaultRates {
  rate429?: number;
  rate500?: number;
  rate503?: number;
  rate529?: number;
  rateCut?: number;
}

export const DEFAULT_SLOW_MS = 2000;

function fromHeader(value: string, slowMs: string | undefined): Fault | null {
  switch (value.trim().toLowerCase()) {
    case '429':
      return { kind: 'status', status: 429 };
    case '500':
      return { kind: 'status', status: 500 };
    case '503':
      return { kind: 'status', status: 503 };
    case '529':
      return { kind: 'status', status: 529 };
    case 'cut':
      return { kind: 'cut' };
    case 'slow': {
      const ms = slowMs === undefined ? NaN : Number(slowMs);
      return { kind: 'slow', ms: Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_SLOW_MS };
    }
    default:
      return null;
  }
}

/** The fault for this request, if any. One PRNG draw per request, only when a rate is set. */
export function chooseFault(header: string | undefined, slowMsHeader: string | undefined, rates: FaultRates, rand: () => number): Fault | null {
  if (header !== undefined) return fromHeader(header, slowMsHeader);
  const total = (rates.rate429 ?? 0) + (rates.rate500 ?? 0) + (rates.rate503 ?? 0) + (rates.rate529 ?? 0) + (rates.rateCut ?? 0);
  if (total <= 0) return null;
  let u = rand();
  const table: Array<[number | undefined, Fault]> = [
    [rates.rate429, { kind: 'status', status: 429 }],
    [rates.rate500, { kind: 'status', status: 500 }],
    [rates.rate503, { kind: 'status', status: 503 }],
    [rates.rate529, { kind: 'status', status: 529 }],
    [rates.rateCut, { kind: 'cut' }],
  ];
  for (const [rate, fault] of table) {
    if (u < (rate ?? 0)) return fault;
    u -= rate ?? 0;
  }
  return null;
}

const MESSAGES: Record<StatusFault, string> = {
  429: 'Rate limit reached for requests (emulated fault). Please try again in 1s.',
  500: 'The server had an error while processing your request (emulated fault).',
  503: 'The service is temporarily unavailable (emulated fault).',
  529: 'Overloaded (emulated fault).',
};

export function faultError(status: StatusFault, extraHeaders: Record<string, string>): EmuError {
  const headers = status === 429 ? { ...extraHeaders, 'retry-after': '1' } : extraHeaders;
  return new EmuError(status, MESSAGES[status], {
    code: status === 429 ? 'rate_limit_exceeded' : null,
    headers,
  });
}
