// Tokens live in sessionStorage: they survive a reload (an answer keeps streaming after F5)
// but not the tab, and no other site can read them.
const KEY = "nexora.tokens";

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();

export function getTokens(): Tokens | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Tokens;
  } catch {
    return null;
  }
}

export function setTokens(tokens: Tokens): void {
  sessionStorage.setItem(KEY, JSON.stringify({
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
  }));
}

export function clearTokens(): void {
  sessionStorage.removeItem(KEY);
}

/** Called when the session cannot be renewed: the app sends the user to the login page. */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export function sessionExpired(): void {
  clearTokens();
  expiredListeners.forEach((listener) => listener());
}
