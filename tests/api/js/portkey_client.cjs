// Drives the official portkey-ai JS SDK against PORTKEY_BASE_URL and prints what it got back
// as one JSON line, for tests/api/test_portkey_js_client.py to check.
const { Portkey } = require("portkey-ai");

async function main() {
  const portkey = new Portkey({
    apiKey: process.env.PORTKEY_API_KEY,
    baseURL: process.env.PORTKEY_BASE_URL,
    traceID: "js-trace",
  });
  const call = (user) => ({
    request: {
      url: "https://api.openai.com/v1/chat/completions",
      method: "POST",
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
    },
    response: { status: 200, body: { usage: { total_tokens: 7 } }, response_time: 42 },
    metadata: { _user: user },
  });
  const single = await portkey.logs.create(call("js-single"));
  const batch = await portkey.logs.create([call("js-a"), call("js-b")]);
  const feedback = await portkey.feedback.create({ traceID: "js-trace", value: 5 });
  let error = null;
  try {
    await new Portkey({ apiKey: "lsk_00000000_wrong", baseURL: process.env.PORTKEY_BASE_URL })
      .logs.create(call("nobody"));
  } catch (exc) {
    error = { status: exc.status, message: exc.message };
  }
  console.log(JSON.stringify({ single, batch, feedback, error }));
}

main().catch((exc) => {
  console.error(exc);
  process.exit(1);
});
