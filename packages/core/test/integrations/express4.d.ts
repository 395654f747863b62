// Express 4 is installed under the alias `express4`; its API is what @types/express describes.
declare module 'express4' {
  import express = require('express');
  export = express;
}
