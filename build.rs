//! Rebuild when a locale file changes: rust-i18n reads `src/locales/` inside a macro, which cargo
//! does not track, so an edit of a translation alone left the old strings in the build.
fn main() {
    println!("cargo:rerun-if-changed=src/locales");
}
