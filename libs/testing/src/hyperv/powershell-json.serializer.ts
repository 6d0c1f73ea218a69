import type { PowerShellEdition, PsDateTime, PsList, PsTimeSpan } from './hyperv-host-simulator.types.js';

const TICKS_PER_MS = 10_000;

/**
 * Writes values the way `ConvertTo-Json -Compress` does in one PowerShell edition: enums, DateTime,
 * TimeSpan, pipeline-unwrapped lists, and 5.1's JavaScriptSerializer escaping.
 */
export class PowerShellJsonSerializer {
  constructor(readonly edition: PowerShellEdition) {}

  /** 5.1 writes the integer; 7 the name (the contract script passes -EnumsAsStrings there). */
  enumValue<Name extends string>(name: Name, value: number): number | Name {
    return this.edition === '5.1' ? value : name;
  }

  /** 5.1: `/Date(ms)/`; 7: round-trip ISO 8601 with seven fraction digits, in the host's zone (UTC). */
  dateTime(epochMs: number): PsDateTime {
    if (this.edition === '5.1') return `/Date(${Math.trunc(epochMs)})/`;
    const iso = new Date(epochMs).toISOString(); // 2024-06-01T10:00:00.123Z
    return `${iso.slice(0, 23)}0000+00:00`;
  }

  /** A TimeSpan object; same members in both editions. */
  timeSpan(totalMs: number): PsTimeSpan {
    const ms = Math.max(0, Math.round(totalMs));
    return {
      Ticks: ms * TICKS_PER_MS,
      Days: Math.floor(ms / 86_400_000),
      Hours: Math.floor(ms / 3_600_000) % 24,
      Milliseconds: ms % 1000,
      Minutes: Math.floor(ms / 60_000) % 60,
      Seconds: Math.floor(ms / 1000) % 60,
      TotalDays: ms / 86_400_000,
      TotalHours: ms / 3_600_000,
      TotalMilliseconds: ms,
      TotalMinutes: ms / 60_000,
      TotalSeconds: ms / 1000,
    };
  }

  /** A pipeline result assigned without `@()`: nothing → null, one item → the bare item. */
  list<T>(items: T[]): PsList<T> {
    if (items.length === 0) return null;
    return items.length === 1 ? items[0] : items;
  }

  /** The stdout text: compressed JSON and the console's CRLF. */
  stringify(value: unknown): string {
    let text = JSON.stringify(value);
    if (this.edition === '5.1') {
      // JavaScriptSerializer escapes these four and writes the DateTime slashes escaped.
      text = text
        .replace(/'/g, '\\u0027')
        .replace(/</g, '\\u003c')
        .replace(/>/g, '\\u003e')
        .replace(/&/g, '\\u0026')
        .replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"');
    }
    return `${text}\r\n`;
  }
}
