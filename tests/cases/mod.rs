mod batch;
mod credentials;
mod docs;
mod resilience;
mod send;
mod sendmail;
