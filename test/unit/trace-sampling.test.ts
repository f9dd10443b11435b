// Which requests get spans, and how finished spans leave: the OTEL_TRACES_SAMPLER choices decided by
// the SDK's samplers (parent-based by default, so a caller's unsampled traceparent is honoured), and
// the OTEL_BSP_* queue and batch limits of costwise's batcher.
import { describe, expect, it } from 'vitest';
import { ExportResultCode } from '@opentelemetry/core';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { Tracing, type Env } from '../../src/telemetry/tracing.js';
import type { RecordedSpan } from '../../src/telemetry/span-batcher.js';
import { hexOf } from '../../src/telemetry/span-ids.js';
import { RequestTrace } from '../../src/telemetry/spans.js';
import type { Deployment } from '../../src/config/catalog.js';

const deployment = { key: 'm@p', name: 'm', upstreamModel: 'm', provider: { kind: 'openai', name: 'p' } } as unknown as Deployment;
const sampledParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const unsampledParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

function tracingWith(env: Env): { tracing: Tracing; batches: RecordedSpan[][] } {
  const batches: RecordedSpan[][] = [];
  const tracing = new Tracing(
    () => ({
      export: (spans, done) => {
        batches.push(spans);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    }),
    env,
  );
  return { tracing, batches };
}

function finish(t: RequestTrace): void {
  t.finish({
    ...{ requestId: 'r', operation: 'chat', requestModel: 'm', deployment, usage: undefined, costPico: 0, baselinePico: 0 },
    ...{ subCallCostPico: 0, technique: undefined, routeReason: undefined, cache: undefined, status: 200, errorKind: undefined, stream: false },
  });
}

describe('sampling', () => {
  it('parentbased_always_on by default: every new trace, and a caller’s trace only when it was sampled', () => {
    const { tracing } = tracingWith({});
    expect(tracing.startRequest({})).toBeInstanceOf(RequestTrace);
    const continued = tracing.startRequest({ traceparent: sampledParent })!;
    expect(hexOf(continued.pool, continued.at, 16)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(hexOf(continued.pool, continued.at + 24, 8)).toBe('b7ad6b7169203331');
    expect(continued.remoteParent).toBe(true);
    expect(tracing.startRequest({ traceparent: unsampledParent })).toBeUndefined();
    // A malformed traceparent starts a trace of its own.
    const fresh = tracing.startRequest({ traceparent: '00-zz-b7ad6b7169203331-01' })!;
    expect(fresh.remoteParent).toBe(false);
    expect(hexOf(fresh.pool, fresh.at, 16)).not.toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('always_off and parentbased_always_off', () => {
    expect(tracingWith({ OTEL_TRACES_SAMPLER: 'always_off' }).tracing.startRequest({ traceparent: sampledParent })).toBeUndefined();
    const parentBased = tracingWith({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }).tracing;
    expect(parentBased.startRequest({})).toBeUndefined();
    expect(parentBased.startRequest({ traceparent: sampledParent })).toBeDefined();
  });

  it('traceidratio samples the trace ids the SDK’s ratio sampler takes, and about that share', () => {
    const { tracing } = tracingWith({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    const sdk = new TraceIdRatioBasedSampler(0.25);
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const t = tracing.startRequest({});
      if (t === undefined) continue;
      sampled++;
      expect(sdk.shouldSample(ROOT_CONTEXT, hexOf(t.pool, t.at, 16)).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    }
    expect(sampled).toBeGreaterThan(400);
    expect(sampled).toBeLessThan(600);
    // with a parent: traceidratio ignores it, parentbased_traceidratio follows it
    expect(tracingWith({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).tracing.startRequest({})).toBeUndefined();
    expect(
      tracingWith({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).tracing.startRequest({ traceparent: sampledParent }),
    ).toBeDefined();
  });
});

describe('batches', () => {
  it('exports at most OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans at a time and drops beyond OTEL_BSP_MAX_QUEUE_SIZE', async () => {
    const { tracing, batches } = tracingWith({ OTEL_BSP_MAX_QUEUE_SIZE: '5', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    const requests = Array.from({ length: 3 }, () => tracing.startRequest({})!);
    for (const r of requests) {
      r.attempt(deployment, 'answer').succeeded(undefined);
      finish(r);
    }
    await tracing.flush();
    // 6 spans finished: the queue held 5, and they left 2 at a time.
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat().filter((s) => s instanceof RequestTrace)).toHaveLength(2);
  });

  it('a full batch leaves on its own, without waiting for the timer', async () => {
    const { tracing, batches } = tracingWith({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    for (let i = 0; i < 5; i++) finish(tracing.startRequest({})!);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.map((b) => b.length)).toEqual([4, 1]);
  });
});
