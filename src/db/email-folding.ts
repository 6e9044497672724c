// The one form in which emails are compared. PostgreSQL stores it (users.email_folded, which
// carries the unique index) and every lookup and every limit key folds its input here: folding
// in two places (JS and PostgreSQL's lower(), which depends on the database's locale) let
// `kİm@…` log in as `kim@…` past the lockout counter of `kim@…`.
//
// NFKC first, so that compatibility spellings are the letters they stand for (fullwidth `ｋ`,
// the Kelvin sign `K`), then Unicode's locale-independent lower case. The result folds to itself.
// `İ` lower-cases to `i` plus a combining dot, so `kİm@…` is another account than `kim@…`.

export function foldEmail (email: string): string {
  return email.normalize('NFKC').toLowerCase()
}
