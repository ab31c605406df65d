import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The build lands inside the Python package, so `nexora serve` (and an installed wheel)
// serves the console without Node.js.
const outDir = fileURLToPath(new URL("../src/nexora/console_dist", import.meta.url));
const api = process.env.NEXORA_URL ?? "http://127.0.0.1:8088";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        // Libraries change less often than the console: a separate chunk stays cached.
        manualChunks: {
          react: ["react", "react-dom", "react-router"],
          mantine: ["@mantine/core", "@mantine/hooks", "@mantine/notifications"],
          markdown: ["react-markdown", "rehype-highlight"],
        },
      },
    },
  },
  server: {
    proxy: { "/api": { target: api, changeOrigin: false }, "/v1": { target: api } },
  },
});
