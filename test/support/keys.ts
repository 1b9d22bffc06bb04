/**
 * The payload encryption key of the TEST runs only. It is not a secret: it
 * protects nothing but throw-away test data, and it is fixed so that the
 * histories recorded by the workflow tests (test/replay/histories) can be
 * decrypted and replayed later. Production keys come from PAYLOAD_CODEC_KEY.
 */
export const TEST_PAYLOAD_CODEC_KEY = Buffer.alloc(32, 'sales-order-test-key-not-secret!').toString('base64');
