import "highlight.js/styles/github-dark.css";

import ReactMarkdown from "react-markdown";
import rehypeHighlight from "rehype-highlight";

// Loaded on demand (React.lazy) so the login page does not pay for the markdown and
// highlighting code. Raw HTML in answers is never rendered: react-markdown escapes it.
export default function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown rehypePlugins={[[rehypeHighlight, { detect: false }]]}>{text}</ReactMarkdown>
    </div>
  );
}
