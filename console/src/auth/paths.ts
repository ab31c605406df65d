/** Where to come back to after logging in: the current page, as a `next` parameter. */
export function loginPath(location: { pathname: string; search: string }): string {
  const next = location.pathname + location.search;
  return next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

/** Only same-site paths are followed after login, never another origin. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/chat";
}
