// service=smtp and submission: what Net::SMTP->new plus quit does in ldirectord —
// greeting, EHLO (HELO when EHLO is refused), QUIT. No mail is sent.
import { hostname } from "node:os";
import {
  ConversationError,
  conversationCheck,
  type LineConversation,
  quoteReply,
} from "./lib/line-conversation.js";
import type { Checker } from "./types.js";

export const smtpChecker: Checker = (target, spec, signal) =>
  conversationCheck(target, spec, signal, false, async (conversation) => {
    const greeting = await readReply(conversation);
    if (!greeting.code.startsWith("2"))
      throw new ConversationError(`SMTP greeting ${quoteReply(greeting.text)}`);
    const name = heloName(hostname());
    conversation.write(`EHLO ${name}\r\n`);
    let hello = await readReply(conversation);
    if (hello.code.startsWith("5")) {
      conversation.write(`HELO ${name}\r\n`);
      hello = await readReply(conversation);
    }
    if (hello.code !== "250") throw new ConversationError(`SMTP HELO ${quoteReply(hello.text)}`);
    conversation.write("QUIT\r\n");
    return `SMTP ${quoteReply(greeting.text)}`;
  });

interface Reply {
  code: string;
  /** The last line, which carries the code and the final text. */
  text: string;
}

/** One reply, multi-line aware: "250-…" lines continue, "250 …" (or a bare "250") ends it. */
async function readReply(conversation: LineConversation): Promise<Reply> {
  for (;;) {
    const line = await conversation.readLine();
    const match = /^(\d{3})([ -]|$)/.exec(line);
    if (!match) throw new ConversationError(`not an SMTP reply: ${quoteReply(line)}`);
    if (match[2] !== "-") return { code: match[1]!, text: line };
  }
}

/** The host's name as an EHLO argument: a domain name, or the generic "localhost" when it is not one. */
function heloName(name: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/.test(name) ? name : "localhost";
}
