// service=simpletcp, as ldirectord's check_simpletcp: send the request (without its
// leading "/", the two characters \n meaning a newline), close our side, and read
// lines until one matches receive. Up on the first matching line.
import { ConversationError, conversationCheck, quoteReply } from "./lib/line-conversation.js";
import { receiveMatches } from "./lib/receive.js";
import type { Checker } from "./types.js";

export const simpletcpChecker: Checker = (target, spec, signal) =>
  conversationCheck(target, spec, signal, false, async (conversation) => {
    conversation.write(simpletcpPayload(spec.request));
    conversation.endWrite();
    for (;;) {
      const line = await conversation.readRawLine();
      if (line === undefined) throw new ConversationError(`receive /${spec.receive}/ not matched`);
      if (lineMatches(spec.receive, line)) return `simpletcp ${quoteReply(line.replace(/\r?\n$/, ""))}`;
    }
  });

export function simpletcpPayload(request: string): string {
  return request.replace(/^\//, "").replaceAll("\\n", "\n");
}

/**
 * Perl's `$line =~ /re/` on a line read with <$sock>: the line keeps its "\n", and Perl's `$`
 * also matches just before that final "\n". Trying the line with and without it gives both.
 */
function lineMatches(receive: string, line: string): boolean {
  return receiveMatches(receive, line) || (line.endsWith("\n") && receiveMatches(receive, line.slice(0, -1)));
}
