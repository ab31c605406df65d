"""Services that turn documents into text for archival memory: MinerU's PDF parser and
Feishu/Lark documents. Each is one module with its client; credentials come from the org's
secret store, base URLs from settings."""
