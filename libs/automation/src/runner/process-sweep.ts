import { readdir, readFile } from 'node:fs/promises';

export interface SweptProcess {
  pid: number;
  pgid: number;
  cmdline: string;
}

async function readStatPgid(pid: number | 'self'): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses: split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(fields[2]);
    return Number.isInteger(pgid) ? pgid : null;
  } catch {
    return null;
  }
}

/** Processes whose command line contains `marker` (a private data directory path, or the base dir + '/'). */
export async function findProcesses(marker: string): Promise<SweptProcess[]> {
  if (marker.length < 8) throw new Error('refusing to match processes on a marker this short');
  const found: SweptProcess[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
    } catch {
      continue; // gone, or not ours to read
    }
    if (!cmdline.includes(marker)) continue;
    const pgid = await readStatPgid(pid);
    if (pgid !== null) found.push({ pid, pgid, cmdline });
  }
  return found;
}

/**
 * SIGKILLs the process groups of every process whose command line contains `marker` (never our own
 * group). Returns what it found. Used after each run (ssh ControlPersist masters, orphans of a runner
 * that had to be SIGKILLed) and at service start for the orphans of a crashed dispatcher.
 */
export async function killProcessesMatching(marker: string): Promise<SweptProcess[]> {
  const found = await findProcesses(marker);
  const ownPgid = await readStatPgid('self');
  const groups = new Set<number>();
  for (const p of found) {
    if (p.pgid > 1 && p.pgid !== ownPgid) groups.add(p.pgid);
  }
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const p of found) {
    if (groups.has(p.pgid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return found;
}
