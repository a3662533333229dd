/**
 * The body of a notification: Slack's incoming-webhook format (a `text` fallback and `blocks`: a
 * header, the text, the fields, the link, and a context line), which Mattermost, Rocket.Chat and
 * generic JSON receivers also accept. Lengths are cut to Slack's limits.
 */

export interface NotificationMessage {
  event: string;
  pipeline: string;
  run: string;
  title: string;
  text: string;
  fields?: Record<string, string>;
  link?: string;
}

const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
/** Slack takes at most 10 fields per section. */
const FIELDS_PER_SECTION = 10;

/** The JSON body posted to the webhook. */
export function slackBody(message: NotificationMessage) {
  const { event, pipeline, run, title, text, fields = {}, link } = message;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: cut(text || title, TEXT_MAX) } },
  ];
  const entries = Object.entries(fields);
  for (let i = 0; i < entries.length; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: 'section',
      fields: entries
        .slice(i, i + FIELDS_PER_SECTION)
        .map(([name, value]) => ({ type: 'mrkdwn', text: cut(`*${name}*\n${value}`, FIELD_MAX) })),
    });
  }
  if (link) {
    const shown = /^https?:\/\//.test(link) ? `<${link}|Open the report>` : `Report: \`${link}\``;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(shown, TEXT_MAX) } });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: cut(`${event} · ${pipeline} · ${run}`, TEXT_MAX) }],
  });
  const fallback = [title, text, ...entries.map(([k, v]) => `${k}: ${v}`), ...(link ? [link] : [])].join('\n');
  return { text: cut(fallback, TEXT_MAX), blocks };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
