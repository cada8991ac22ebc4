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
      if (receiveMatches(spec.receive, line)) return `simpletcp ${quoteReply(line.replace(/\r?\n$/, ""))}`;
    }
  });

export function simpletcpPayload(request: string): string {
  return request.replace(/^\//, "").replaceAll("\\n", "\n");
}
