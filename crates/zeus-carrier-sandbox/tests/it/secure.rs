//! `secure.cgi`: settle and cancel (SPEC §5–§7).
