// OpenAI Files held in memory, within LIMITS (count and total bytes; the oldest go first). A file
// past its `expires_at` on the emulator clock is gone.
import { LIMITS } from './config.js';

export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  /** Emulator ms. */
  createdAt: number;
  expiresAt: number | null;
}

export type NewFile = Omit<StoredFile, 'id'>;

export class FileStore {
  private readonly byId = new Map<string, StoredFile>();
  private bytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly newId: () => string,
  ) {}

  add(input: NewFile): StoredFile {
    const file: StoredFile = { id: `file-${this.newId()}`, ...input };
    for (const old of this.byId.values()) {
      if (this.byId.size < LIMITS.maxFiles && this.bytes + file.content.length <= LIMITS.maxFileBytes) break;
      this.delete(old.id);
    }
    this.byId.set(file.id, file);
    this.bytes += file.content.length;
    return file;
  }

  get(id: string): StoredFile | undefined {
    const f = this.byId.get(id);
    if (f && f.expiresAt !== null && f.expiresAt <= this.now()) {
      this.delete(id);
      return undefined;
    }
    return f;
  }

  delete(id: string): boolean {
    const f = this.byId.get(id);
    if (!f) return false;
    this.byId.delete(id);
    this.bytes -= f.content.length;
    return true;
  }

  newestFirst(): StoredFile[] {
    const now = this.now();
    return [...this.byId.values()].filter((f) => f.expiresAt === null || f.expiresAt > now).reverse();
  }
}
