// service=pop and pops: what Mail::POP3Client does for ldirectord — the +OK greeting,
// then USER/PASS only when login= is set, then QUIT. pops speaks TLS from the start.
import {
  ConversationError,
  conversationCheck,
  type LineConversation,
  quoteReply,
  singleLine,
} from "./lib/line-conversation.js";
import type { Checker } from "./types.js";

export const popChecker: Checker = (target, spec, signal) =>
  conversationCheck(target, spec, signal, spec.service === "pops", async (conversation) => {
    const greeting = await expectOk(conversation, "POP greeting");
    if (spec.login !== "") {
      conversation.write(`USER ${singleLine("login", spec.login)}\r\n`);
      await expectOk(conversation, "POP USER");
      // The password goes to the real only; reasons carry the server's words, never ours.
      conversation.write(`PASS ${singleLine("passwd", spec.passwd)}\r\n`);
      await expectOk(conversation, "POP PASS");
    }
    conversation.write("QUIT\r\n");
    return spec.login !== "" ? `POP login ok: ${quoteReply(greeting)}` : `POP ${quoteReply(greeting)}`;
  });

async function expectOk(conversation: LineConversation, step: string): Promise<string> {
  const line = await conversation.readLine();
  if (!line.startsWith("+OK")) throw new ConversationError(`${step} ${quoteReply(line)}`);
  return line;
}
