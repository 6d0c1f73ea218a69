const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function formatAxisTime(date: Date, spanMs: number): string {
  return (spanMs > 86_400_000 ? dayAndTime : timeOnly).format(date);
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatOs(vm: { osFamily: string; osVersion: string | null; osName?: string | null }): string {
  return [vm.osFamily, vm.osVersion].filter(Boolean).join(' ');
}
