// Batch state of one emulator, kept beside its EmulatorState (its clock, seed and id source): the
// OpenAI files, both providers' batches and the runner that advances them. All in memory, bounded
// by LIMITS (./config.ts).
import type { EmulatorState } from '../state.js';
import type { AnthropicBatch } from './anthropic-batch.js';
import { BatchStore } from './batch-store.js';
import { FileStore } from './file-store.js';
import type { OpenAIBatch } from './openai-batch.js';
import { BatchRunner } from './runner.js';

export interface BatchRegistry {
  readonly files: FileStore;
  readonly openai: BatchStore<OpenAIBatch>;
  readonly anthropic: BatchStore<AnthropicBatch>;
  readonly runner: BatchRunner;
}

const registries = new WeakMap<EmulatorState, BatchRegistry>();

export function batchRegistry(state: EmulatorState): BatchRegistry {
  let r = registries.get(state);
  if (!r) {
    const openai = new BatchStore<OpenAIBatch>();
    const anthropic = new BatchStore<AnthropicBatch>();
    r = {
      files: new FileStore(state.now, () => state.nextId()),
      openai,
      anthropic,
      runner: new BatchRunner(state.now, () => [...openai.active(), ...anthropic.active()].map((b) => b.job), state.batch.background),
    };
    registries.set(state, r);
  }
  return r;
}

/** Stops the runner's timer (the emulator is closing). */
export function stopBatches(state: EmulatorState): void {
  registries.get(state)?.runner.stop();
}
