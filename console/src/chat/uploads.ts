import type { Schemas } from "../api/client";
import { authFetch, errorOf } from "../api/http";

export type StoredFile = Schemas["StoredFile"];

/** The tools that read an agent's workspace: files attached in the chat are only useful to
 * an agent that has one of them. */
export const FILE_TOOLS = ["read_file", "list_files", "search_files", "edit_file"];

export function readsFiles(tools: readonly string[] | undefined): boolean {
  return (tools ?? []).some((tool) => FILE_TOOLS.includes(tool));
}

/** Puts the files in the agent's workspace under uploads/; where each one was stored. */
export async function uploadFiles(agentId: string, files: File[]): Promise<StoredFile[]> {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  // Multipart, which the typed JSON client does not write: the browser sets the boundary.
  const response = await authFetch(
    new Request(`/api/agents/${encodeURIComponent(agentId)}/files`, { method: "POST", body: form }),
  );
  if (!response.ok) throw await errorOf(response);
  return ((await response.json()) as Schemas["UploadedFiles"]).files;
}
