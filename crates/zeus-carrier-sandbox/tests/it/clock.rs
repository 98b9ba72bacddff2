//! The test clock settling reservations (R-SL-2).
