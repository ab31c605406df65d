import createClient from "openapi-fetch";

import { ApiError, authFetch } from "./http";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authFetch });

/** The data of an openapi-fetch result, or its problem+json detail as an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined && !result.response.ok) {
    const error = result.error as { detail?: unknown } | undefined;
    const detail = typeof error?.detail === "string" ? error.detail : result.response.statusText;
    throw new ApiError(result.response.status, detail || `HTTP ${result.response.status}`);
  }
  return result.data as T;
}
