import type { RunHostSummary } from '@hybridforms/persistence';

/**
 * The contract of our ansible-runner wrapper: what a job is, what it reports while it runs, and
 * how it ended. The run service (queue, storage, API) is written against these types only.
 */

/** An inventory as ansible's YAML/JSON inventory format has it (we generate it; never user text as keys). */
export interface AnsibleInventory {
  all: {
    hosts?: Record<string, Record<string, string | number | boolean>>;
    vars?: Record<string, string | number | boolean>;
    children?: Record<string, { hosts: Record<string, Record<string, never> | null> }>;
  };
}

export interface RunnerJob {
  /** Our run id; also the runner ident (fresh for every run: a reused ident appends to old artifacts). */
  id: string;
  /** Absolute path of the catalog directory that holds the playbook (copied or linked as the project). */
  projectDir: string;
  /** The playbook, relative to projectDir, already resolved through the catalog (no `..`, no absolute path). */
  playbook: string;
  inventory: AnsibleInventory;
  /** Already validated (a JSON object, no `ansible_*` names); every string is passed to Ansible as unsafe. */
  extraVars: Record<string, unknown>;
  /** Already validated host pattern. */
  limit?: string;
  /** One SSH private key for every host of the run; written 0600 into the run's directory and removed afterwards. */
  sshPrivateKey?: string;
  /** known_hosts lines the run checks host keys against (host key checking stays on); none = an empty file. */
  knownHosts?: string;
  /** Whole-run limit (runner job_timeout). */
  timeoutSeconds: number;
  /** Seconds without output before the run is stopped (runner idle_timeout); optional. */
  idleTimeoutSeconds?: number;
}

/** One job event as ansible-runner emits it (`-j`), normalized. */
export interface RunnerEvent {
  /** 1..n, monotonic within a run. */
  counter: number;
  uuid: string;
  /** playbook_on_start, runner_on_ok, playbook_on_stats, verbose… */
  event: string;
  created: Date;
  host: string | null;
  task: string | null;
  /** The human line(s) of output, ANSI-free. */
  stdout: string;
  /** `event_data` as received. */
  data: Record<string, unknown>;
}

/** Per-host counts of playbook_on_stats: the shape the run store keeps. */
export type HostSummary = RunHostSummary;

export type RunnerOutcome = 'successful' | 'failed' | 'canceled' | 'timed_out' | 'error';

export interface RunnerResult {
  status: RunnerOutcome;
  /** ansible-runner's exit code (null when it died by a signal). */
  rc: number | null;
  /** Why it did not succeed, in a sentence (no host matched, syntax error, unreachable hosts, killed…). */
  reason: string | null;
  /** Per host, from playbook_on_stats (empty when the play never started). */
  hosts: Record<string, HostSummary>;
  startedAt: Date;
  finishedAt: Date;
  /** The run's human output (artifacts stdout), ANSI-free, cut to a bounded size. */
  stdout: string;
}

/**
 * Receives a run's events in batches, each event once (by counter), in the order runner wrote them; events that
 * never came through stdout (runner prints `verbose` ones as plain text) are recovered from the artifacts at the end.
 * Each call is awaited before the next; an error thrown here is reported and the run goes on.
 */
export interface RunnerListener {
  onEvents(events: RunnerEvent[]): void | Promise<void>;
}

export interface RunnerHandle {
  /** Stops the whole process group: TERM, then KILL after the grace period. Resolves when it has ended. */
  cancel(): Promise<void>;
  /** Resolves (never rejects) when the run has ended and its directory has been cleaned. */
  done: Promise<RunnerResult>;
}

export interface RunnerAvailability {
  available: boolean;
  /** e.g. "ansible-runner 2.3.1, ansible-core 2.14.18". */
  version: string | null;
  /** What is missing and how to install it, when not available. */
  problem: string | null;
}
