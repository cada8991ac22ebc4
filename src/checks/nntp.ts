// service=nntp, as ldirectord's check_nntp: connect, read what the server sends first
// (one read of at most 64 bytes), up when it starts with "2" (200/201 greeting).
import { ConversationError, conversationCheck, quoteReply } from "./lib/line-conversation.js";
import type { Checker } from "./types.js";

const GREETING_BYTES = 64;

export const nntpChecker: Checker = (target, spec, signal) =>
  conversationCheck(target, spec, signal, false, async (conversation) => {
    const greeting = (await conversation.readChunk(GREETING_BYTES)).replace(/\r?\n[\s\S]*$/, "");
    if (!greeting.startsWith("2")) throw new ConversationError(`NNTP greeting ${quoteReply(greeting)}`);
    return `NNTP ${quoteReply(greeting)}`;
  });
