//! The ways a template reaches the library: the Lambda function, the command line, the
//! macro's request and response, and the explanation of the roles.

pub mod cli;
pub mod explain;
pub mod lambda;
pub mod macro_io;
