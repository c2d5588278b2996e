//! Tests of this family against moto (filled in by the provider work).
