import { getTokens, sessionExpired, setTokens, type Tokens } from "../auth/tokens";

/** An API error with the problem+json `detail` the server wrote for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function errorOf(response: Response): Promise<ApiError> {
  let detail = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, detail);
}

const NO_REFRESH = ["/api/auth/login", "/api/auth/refresh"];
let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: parallel 401s all wait for the same new token. */
function refreshOnce(): Promise<boolean> {
  refreshing ??= (async () => {
    const tokens = getTokens();
    if (!tokens) return false;
    const response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    if (!response.ok) return false;
    setTokens((await response.json()) as Tokens);
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function withToken(request: Request): Request {
  const tokens = getTokens();
  if (tokens) request.headers.set("Authorization", `Bearer ${tokens.access_token}`);
  return request;
}

/** fetch with the bearer token; on 401 renews the token once and retries, and when that
 * fails too the session is over and the app goes back to the login page. */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const response = await fetch(withToken(input));
  const path = new URL(input.url).pathname;
  if (response.status !== 401 || NO_REFRESH.includes(path)) return response;
  if (await refreshOnce()) {
    const again = await fetch(withToken(retry));
    if (again.status !== 401) return again;
  }
  sessionExpired();
  return response;
}
