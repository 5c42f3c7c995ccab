// The browser's side of passkeys (WebAuthn): the server's options in, the authenticator's answer
// out, both as JSON (the browser's own converters do the base64url).

function supported() {
  return (
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function"
  );
}

function unsupported() {
  return new Error("This browser can't use passkeys here; use a code instead.");
}

// A refusal or a closed prompt is said in words, not as the browser's exception name.
function explain(error) {
  if (error && error.name === "NotAllowedError") return new Error("The passkey prompt was closed or timed out.");
  if (error && error.name === "InvalidStateError") return new Error("This authenticator already holds a passkey here.");
  return error;
}

export async function createPasskey(options) {
  if (!supported()) throw unsupported();
  try {
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
    return credential.toJSON();
  } catch (error) {
    throw explain(error);
  }
}

export async function usePasskey(options) {
  if (!supported()) throw unsupported();
  try {
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
    return credential.toJSON();
  } catch (error) {
    throw explain(error);
  }
}
