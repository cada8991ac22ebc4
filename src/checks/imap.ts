// service=imap and imaps: what Net::IMAP::Simple(::SSL) does for ldirectord — the
// "* OK" greeting, then LOGIN only when login= is set, then LOGOUT. imaps is TLS from the start.
import {
  ConversationError,
  conversationCheck,
  type LineConversation,
  quoteReply,
  singleLine,
} from "./lib/line-conversation.js";
import type { Checker } from "./types.js";

export const imapChecker: Checker = (target, spec, signal) =>
  conversationCheck(target, spec, signal, spec.service === "imaps", async (conversation) => {
    const greeting = await conversation.readLine();
    if (!/^\* OK\b/i.test(greeting)) throw new ConversationError(`IMAP greeting ${quoteReply(greeting)}`);
    if (spec.login !== "") {
      const user = quoted(singleLine("login", spec.login));
      const pass = quoted(singleLine("passwd", spec.passwd));
      conversation.write(`a1 LOGIN ${user} ${pass}\r\n`);
      const done = await taggedReply(conversation, "a1");
      if (!/^a1 OK\b/i.test(done)) throw new ConversationError(`IMAP LOGIN ${quoteReply(done)}`);
    }
    conversation.write("a2 LOGOUT\r\n");
    return spec.login !== "" ? `IMAP login ok: ${quoteReply(greeting)}` : `IMAP ${quoteReply(greeting)}`;
  });

/** An IMAP quoted string (RFC 3501): backslash and double quote escaped. */
export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Skips untagged lines ("* CAPABILITY …") until the one that ends command `tag`. */
async function taggedReply(conversation: LineConversation, tag: string): Promise<string> {
  for (;;) {
    const line = await conversation.readLine();
    if (line.startsWith(`${tag} `)) return line;
  }
}
