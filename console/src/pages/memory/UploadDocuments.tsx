import { Alert, Button, FileInput, Group, Progress, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconUpload } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { authFetch, errorOf } from "../../api/http";
import { ErrorAlert } from "../common";

type Accepted = { job_id: string; status: string; total: number; source: string | null };

const FINISHED = new Set(["completed", "failed"]);

/** Documents into the agent's knowledge base; the ingestion runs in the background and its
 * progress is polled until it finishes. */
export function UploadDocuments({ agentId }: { agentId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [files, setFiles] = useState<File[]>([]);
  const [jobId, setJobId] = useState<string | null>(null);
  const upload = useMutation({
    // Multipart by hand: the typed client serialises bodies as JSON.
    mutationFn: async (): Promise<Accepted> => {
      const form = new FormData();
      form.append("agent_id", agentId);
      for (const file of files) form.append("files", file);
      const request = new Request(new URL("/api/memory/archival/ingest", window.location.origin), {
        method: "POST",
        body: form,
      });
      const response = await authFetch(request);
      if (!response.ok) throw await errorOf(response);
      return (await response.json()) as Accepted;
    },
    onSuccess: (accepted) => {
      setJobId(accepted.job_id);
      setFiles([]);
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const job = useQuery({
    queryKey: ["memory", agentId, "job", jobId],
    queryFn: async () =>
      unwrap(await api.GET("/api/memory/jobs/{job_id}", { params: { path: { job_id: jobId ?? "" } } })),
    enabled: jobId !== null,
    refetchInterval: (query) => (FINISHED.has(query.state.data?.status ?? "") ? false : 1000),
  });
  const finished = FINISHED.has(job.data?.status ?? "");
  const completed = job.data?.status === "completed";
  useEffect(() => {
    // The new chunks show in the item list once the job is done.
    if (completed) void queryClient.invalidateQueries({ queryKey: ["memory", agentId, "items"] });
  }, [completed, agentId, queryClient]);

  return (
    <Stack maw={640}>
      <Text c="dimmed" size="sm">
        {t("memory.upload.hint")}
      </Text>
      <Group align="flex-end">
        <FileInput
          style={{ flex: 1 }}
          label={t("memory.upload.files")}
          placeholder={t("memory.upload.pick")}
          multiple
          clearable
          value={files}
          onChange={setFiles}
        />
        <Button
          leftSection={<IconUpload size={16} />}
          disabled={files.length === 0}
          loading={upload.isPending}
          onClick={() => upload.mutate()}
        >
          {t("memory.upload.start")}
        </Button>
      </Group>
      {job.error && <ErrorAlert error={job.error} />}
      {job.data && (
        <Stack gap={4} data-testid="memory-job">
          <Progress
            value={job.data.total ? (100 * job.data.done) / job.data.total : 0}
            color={job.data.status === "failed" ? "red" : finished ? "green" : "blue"}
            animated={!finished}
          />
          <Text size="sm">
            {t(`memory.upload.status.${job.data.status}`, { defaultValue: job.data.status })} ·{" "}
            {t("memory.upload.progress", {
              done: job.data.done,
              total: job.data.total,
              added: job.data.added,
              duplicates: job.data.duplicates,
            })}
          </Text>
          {job.data.current && !finished && (
            <Text size="xs" c="dimmed">
              {job.data.current}
            </Text>
          )}
          {job.data.error && <Alert color="red">{job.data.error}</Alert>}
          {job.data.failures.map((failure, index) => (
            <Text key={index} size="xs" c="red">
              {Object.values(failure).join(": ")}
            </Text>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
