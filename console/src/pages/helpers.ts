import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { authFetch, errorOf } from "../api/http";

/** Saves text the page built (a trace, an export) as a file the browser downloads. */
export function saveFile(name: string, body: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** Downloads an API response that needs the bearer token (a plain link would not send it). */
export async function downloadFromApi(path: string, name: string): Promise<void> {
  const response = await authFetch(new Request(new URL(path, window.location.origin)));
  if (!response.ok) throw await errorOf(response);
  saveFile(name, await response.blob(), response.headers.get("content-type") ?? "");
}

/** The org's users by id, for showing names where the API gives ids (admins only). */
export function useUserNames(enabled = true): Map<string, string> {
  const users = useQuery({
    queryKey: ["admin", "users"],
    queryFn: async () => unwrap(await api.GET("/api/admin/users")),
    enabled,
  });
  return new Map((users.data ?? []).map((u) => [u.id, u.username]));
}

/** The agents the caller sees, by id. */
export function useAgentNames(): Map<string, string> {
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: async () => unwrap(await api.GET("/api/agents")),
  });
  return new Map((agents.data ?? []).map((a) => [a.id, a.name]));
}

/** Turns a [from, to] pair of day strings (YYYY-MM-DD, local days) into API bounds:
 * `since` at the start of the first day, `until` at the start of the day after the last. */
export function dayBounds(range: [string | null, string | null]): { since?: string; until?: string } {
  const [from, to] = range;
  const bounds: { since?: string; until?: string } = {};
  if (from) bounds.since = new Date(`${from}T00:00:00`).toISOString();
  if (to) {
    const end = new Date(`${to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    bounds.until = end.toISOString();
  }
  return bounds;
}
