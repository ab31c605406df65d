import { useQuery } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../api/client";
import { getTokens } from "./tokens";

export type Me = Schemas["Me"];

export function useMe() {
  return useQuery({
    queryKey: ["me"],
    queryFn: async () => unwrap(await api.GET("/api/auth/me")),
    enabled: getTokens() !== null,
    staleTime: 60_000,
  });
}

export function isAdmin(me: Me | undefined): boolean {
  return me?.role === "admin" || me?.platform_admin === true;
}
