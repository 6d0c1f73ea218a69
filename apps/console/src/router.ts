import { useEffect, useState } from 'preact/hooks';

// Routes live in the fragment (#/vms/<id>?…): the server serves one index.html for /console/, a
// reload or a shared link lands on the same page, and filters are part of the link.

export interface Route {
  path: string;
  params: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/inventory';
  const [path, query = ''] = hash.split('?', 2);
  return { path, params: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(path: string, params?: URLSearchParams): string {
  const query = params?.toString();
  return `#${path}${query ? `?${query}` : ''}`;
}

export function navigate(path: string, params?: URLSearchParams): void {
  location.hash = href(path, params);
}

/** A page's filters read from its link: each of `names`, '' when absent. */
export function filtersOf<N extends string>(params: URLSearchParams, names: readonly N[]): Record<N, string> {
  return Object.fromEntries(names.map((name) => [name, params.get(name) ?? ''])) as Record<N, string>;
}

/** The filters that are set, as the link's query (trimmed, empty ones left out). */
export function paramsOf<N extends string>(filters: Record<N, string>, names: readonly N[]): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of names) if (filters[name].trim()) params.set(name, filters[name].trim());
  return params;
}
