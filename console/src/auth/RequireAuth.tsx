import { useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";

import { loginPath } from "./paths";
import { getTokens, onSessionExpired } from "./tokens";

export function RequireAuth({ children }: { children: ReactNode }) {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  useEffect(
    () =>
      onSessionExpired(() => {
        // Several requests may fail together; the first one already went to the login page.
        if (window.location.pathname === "/login") return;
        queryClient.clear();
        void navigate(loginPath(window.location), { replace: true, state: { expired: true } });
      }),
    [navigate, queryClient],
  );

  if (getTokens() === null) return <Navigate to={loginPath(location)} replace />;
  return children;
}
