import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AnsibleRunner } from './ansible-runner.js';

const WORKER_DIR = /^w(\d+)$/;

/**
 * Where this process's runs live. Embedded mode: the configured directory itself. Distributed mode:
 * one subdirectory per worker process (`w<pid>`), so that a worker starting on a host sweeps only
 * the leftovers of workers that are gone, never the live runs of its neighbours.
 */
export function runnerWorkDir(workDir: string, distributed: boolean): string {
  return distributed ? join(workDir, `w${process.pid}`) : workDir;
}

/** Sweeps the run directories of worker processes of this host that no longer exist; returns how many. */
export async function sweepDeadWorkerDirs(workDir: string): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(workDir);
  } catch {
    return 0;
  }
  let swept = 0;
  for (const entry of entries) {
    const pid = Number(WORKER_DIR.exec(entry)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const dir = join(workDir, entry);
    await AnsibleRunner.sweepOrphans(dir);
    await rm(dir, { recursive: true, force: true });
    swept += 1;
  }
  return swept;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
